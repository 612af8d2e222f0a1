"""Everything that runs beside student code, in the worker process and its children.

This package imports nothing of the grader but :mod:`grader.wire` (a test enforces it):
whatever student code can reach here, it cannot reach the trusted side through imports.

- how a worker starts: :mod:`entry` (shared by both modes), :mod:`serve` (the forking zygote
  and each submission's process), :mod:`portable` (a fresh interpreter per question),
  :mod:`shapes_on_demand` (torch's sympy import put off until something needs it);
- a question: :mod:`relay` (its frames, output and records, under the relay's control) and
  :mod:`question` (the process that imports the submission and serves its calls);
- the witnesses beside student code, each finding written to :mod:`records`:
  :mod:`audit_hook` (with :mod:`student_frames`, :mod:`module_runs`, :mod:`process_doors`),
  :mod:`dict_watch`, :mod:`torch_modes`, :mod:`forbidden` (recorders of forbidden helpers),
  :mod:`input_guard` (did a call change its inputs), :mod:`grader_roots` (nothing of the
  grader left to name);
- the process around them: :mod:`namespaces` (the sandbox's per-submission namespaces) and
  :mod:`memory` (huge pages for the zygote, small pages for student code);
- what both a question and the trusted side use on student data: :mod:`global_draws` (the
  global generators seeded per test), :mod:`plain_data` (a returned value as plain tensors).

None of the witnesses is proof: code in the same process can in principle do anything. They
raise the cost of a forgery, and every door they watch scores zero when used.
"""
