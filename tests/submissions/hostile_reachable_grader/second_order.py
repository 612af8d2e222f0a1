"""Attack: look for anything of the grader that student code can reach without an audited
door, starting from every module in sys.modules, sys itself and the builtins, and following
only what no audit event guards (module and class namespaces, a function's globals, closure
cells and __wrapped__, a method's __self__ and __func__, containers, instance dicts).

first_order_grads earns its points only if the search finds the grader (a door to forge any
verdict, as hostile_grader_roots does); otherwise it raises, saying how much it searched.
The other functions are correct.
"""
import sys
import types
import warnings

import torch
from torch.autograd import grad

GLOBALS, CLOSURE, CELL, WRAPPED = ("__glo" + "bals__", "__clo" + "sure__", "cell_" + "contents",
                                   "__wra" + "pped__")
PACKAGE = "gra" + "der"


def _is_grader(obj):
    """A module, function or class of the grader's own code, whatever its name."""
    try:
        if isinstance(obj, types.ModuleType):
            spec = obj.__dict__.get("__spec__")
            name = getattr(spec, "name", None) or obj.__dict__.get("__name__") or ""
            return name.startswith(PACKAGE) or f"/{PACKAGE}/" in (obj.__dict__.get("__file__") or "")
        if isinstance(obj, types.FunctionType):
            scope = getattr(obj, GLOBALS)
            return (str(scope.get("__name__", "")).startswith(PACKAGE)
                    or f"/{PACKAGE}/" in str(scope.get("__file__", "")))
        if isinstance(obj, type):
            return str(type.__dict__["__module__"].__get__(obj)).startswith(PACKAGE)
    except Exception:  # noqa: BLE001 - anything odd is simply not a find
        return False
    return False


def _edges(obj):
    if isinstance(obj, types.ModuleType):
        yield from ((f".{k}", v) for k, v in list(obj.__dict__.items()))
    elif isinstance(obj, types.FunctionType):
        yield f".{GLOBALS}", getattr(obj, GLOBALS)
        for index, cell in enumerate(getattr(obj, CLOSURE) or ()):
            try:
                yield f".closure[{index}]", getattr(cell, CELL)
            except ValueError:
                pass
        if WRAPPED in obj.__dict__:
            yield f".{WRAPPED}", obj.__dict__[WRAPPED]
    elif isinstance(obj, types.MethodType):
        yield ".__self__", obj.__self__
        yield ".__func__", obj.__func__
    elif isinstance(obj, type):
        yield from ((f".{k}", v) for k, v in list(type.__dict__["__dict__"].__get__(obj).items()))
    elif isinstance(obj, dict):
        yield from ((f"[{k!r:.40}]", v) for k, v in list(obj.items()))
    elif isinstance(obj, (list, tuple, set, frozenset)):
        yield from ((f"[{i}]", v) for i, v in enumerate(list(obj)))
    elif isinstance(obj, (staticmethod, classmethod)):
        yield ".__func__", obj.__func__
    elif isinstance(obj, property):
        yield from ((f".{n}", getattr(obj, n)) for n in ("fget", "fset") if getattr(obj, n))
    else:
        namespace = getattr(obj, "__dict__", None)
        if isinstance(namespace, dict):
            yield ".__dict__", namespace


def _search(roots, limit=500_000):
    seen, found, todo = set(), [], list(roots)
    while todo and len(seen) < limit:
        path, obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None))):
            continue
        seen.add(id(obj))
        if _is_grader(obj):
            found.append(path)
            continue
        try:
            todo.extend((path + label, child) for label, child in _edges(obj))
        except Exception:  # noqa: BLE001 - a hostile or broken object: skip it
            pass
    return sorted(found, key=len), len(seen)


def first_order_grads(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roots = [("sys", sys), ("builtins", __builtins__)]
        roots += [(f"sys.modules[{name!r}]", m) for name, m in list(sys.modules.items())]
        found, searched = _search(roots)
    if not found:
        raise RuntimeError(f"nothing of the grader is reachable ({searched} objects searched)")
    print("reached the grader at", found[0])
    x, y = (t.detach().requires_grad_() for t in (x, y))
    return grad(torch.dot(x, y) ** 2, [x, y])


def second_partials(x, y, i):
    x, y = (t.detach().requires_grad_() for t in (x, y))
    gx = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0]
    return tuple(grad(gx[i], [x, y]))


def grads_without_zeroing(x, y, i):
    x, y = (t.detach().requires_grad_() for t in (x, y))
    w = torch.dot(x, y) ** 2
    gx, gy = grad(w, [x, y], create_graph=True)
    return tuple(a + b for a, b in zip((gx, gy), grad(gx[i], [x, y])))


def hessian(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return torch.stack([grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()
