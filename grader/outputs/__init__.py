"""Every output of a graded batch, rendered from one :class:`grader.gradebook.standing.GradedBatch`.

``registry.py`` names the formats (terminal, results.json, CSV, Canvas, JUnit, markdown,
HTML) and writes them; ``statistics.py`` computes what the instructor's views show;
``html_report.py``, ``charts.py`` and ``similarity_html.py`` make the class report. Each
format reads a submission's points from its :class:`~grader.gradebook.standing.Standing`, the one
definition of a total.
"""
