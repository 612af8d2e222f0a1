"""A witness of torch modes: process-wide C state that no dict watch or audit event sees."""

from __future__ import annotations

from collections.abc import Callable


class TorchModes:
    """Whether student code left a torch function or dispatch mode active.

    A mode is process-wide C state: no dict changes and no audit event is raised when one is
    pushed, yet every torch call in trusted code would then go through the student's
    __torch_function__. So it is checked each time control returns from student code to
    trusted code, before any torch work, with C functions bound before the student's import.
    Only torch's own DeviceContext (torch.set_default_device) is allowed.
    """

    def __init__(self) -> None:
        import torch
        from torch.utils._device import DeviceContext

        self._function_depth = torch._C._len_torch_function_stack
        self._dispatch_depth = torch._C._len_torch_dispatch_stack
        self._function_at = torch._C._get_function_stack_at
        self._allowed = DeviceContext

    def left_active(
        self, _range: Callable[[int], range] = range, _type: Callable[[object], type] = type
    ) -> str | None:
        """Why the torch state is not as trusted code left it; None if it is."""
        if self._dispatch_depth():
            return "left a torch dispatch mode active"
        for index in _range(self._function_depth()):
            if _type(self._function_at(index)) is not self._allowed:
                return "left a torch function mode active"
        return None
