"""JUnit XML, rendered from the result model: one testsuite per submission."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from grader import results
from grader.results import SubmissionResult

ERROR_STATUSES = (results.GRADER_ERROR, "import failed", "crashed", "timed out", "memory limit")


def junit_xml(batch: Iterable[SubmissionResult]) -> str:
    suites = ET.Element("testsuites")
    for result in batch:
        suites.append(_suite(result))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _suite(result: SubmissionResult) -> ET.Element:
    tests = result.tests
    suite = ET.Element("testsuite", {
        "name": f"{result.assignment}.{result.submission_id}",
        "tests": str(len(tests)),
        "failures": str(sum(t.status not in (results.PASSED, results.NOT_RUN, *ERROR_STATUSES)
                            for t in tests)),
        "errors": str(sum(t.status in ERROR_STATUSES for t in tests)),
        "skipped": str(sum(t.status == results.NOT_RUN for t in tests)),
        "time": f"{result.execution_time:.3f}"})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("score", result.score), ("max_score", result.max_score)):
        ET.SubElement(properties, "property", {"name": name, "value": f"{value:g}"})
    for test in tests:
        suite.append(_case(result, test))
    return suite


def _case(result: SubmissionResult, test: results.GradedTest) -> ET.Element:
    case = ET.Element("testcase", {"classname": f"{result.assignment}.{test.question}",
                                   "name": test.name, "time": f"{test.seconds:.3f}"})
    if test.status == results.NOT_RUN:
        ET.SubElement(case, "skipped", {"message": test.message})
    elif not test.passed:
        tag = "error" if test.status in ERROR_STATUSES else "failure"
        element = ET.SubElement(case, tag, {"message": test.message.splitlines()[0] if test.message
                                            else test.status, "type": test.status})
        element.text = "\n".join(filter(None, [test.message, test.traceback]))
    return case
