"""JUnit XML, rendered from each submission's Standing: one testsuite per submission.

The suite's properties carry the total (`score`), the late penalty and each overridden
question's points, beside the test cases as the tests ran them. Every string goes through
:func:`_xml`, so the document parses whatever a student wrote: XML 1.0 has no way to write
most control characters, even as references.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from grader import results
from grader.gradebook.standing import GradedBatch, Standing, graded_batch
from grader.outputs.adjustments import overrides_in_force
from grader.results import SubmissionResult
from grader.untrusted_text import escape_controls as _xml

ERROR_STATUSES = (results.GRADER_ERROR, "import failed", "crashed", "timed out", "memory limit")


def junit_xml_of(batch: GradedBatch) -> str:
    suites = ET.Element("testsuites")
    for standing in batch.standings:
        suites.append(_suite(standing))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def junit_xml(batch: Iterable[SubmissionResult]) -> str:
    """JUnit XML of results with no instructor adjustments, each its own total."""
    standings = [graded_batch([result]).standings[0] for result in batch]
    return junit_xml_of(GradedBatch("", (), 0.0, tuple(standings)))


def _suite(standing: Standing) -> ET.Element:
    result = standing.result
    tests = result.tests
    suite = ET.Element(
        "testsuite",
        {
            "name": _xml(f"{result.assignment}.{result.submission_id}"),
            "tests": str(len(tests)),
            "failures": str(
                sum(t.status not in (results.PASSED, results.NOT_RUN, *ERROR_STATUSES) for t in tests)
            ),
            "errors": str(sum(t.status in ERROR_STATUSES for t in tests)),
            "skipped": str(sum(t.status == results.NOT_RUN for t in tests)),
            "time": f"{result.execution_time:.3f}",
        },
    )
    properties = ET.SubElement(suite, "properties")
    figures = [
        ("score", standing.total),
        ("max_score", standing.max_points),
        ("late_penalty", standing.penalty),
    ]
    figures += [(f"override:{o.question}", o.points) for o in overrides_in_force(standing)]
    for name, value in figures:
        ET.SubElement(properties, "property", {"name": _xml(name), "value": f"{value:g}"})
    for test in tests:
        suite.append(_case(result, test))
    return suite


def _case(result: SubmissionResult, test: results.GradedTest) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": _xml(f"{result.assignment}.{test.question}"),
            "name": _xml(test.name),
            "time": f"{test.seconds:.3f}",
        },
    )
    if test.status == results.NOT_RUN:
        ET.SubElement(case, "skipped", {"message": _xml(test.message)})
    elif not test.passed:
        tag = "error" if test.status in ERROR_STATUSES else "failure"
        summary = next(filter(str.strip, test.message.splitlines()), test.status)
        element = ET.SubElement(case, tag, {"message": _xml(summary), "type": _xml(test.status)})
        element.text = _xml("\n".join(filter(None, [test.message, test.traceback])))
    return case
