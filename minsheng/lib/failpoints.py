"""Named crash points, to prove that recovery works.

With MINSHENG_FAILPOINT=<name> in its environment, a process kills itself with SIGKILL when
it reaches that point, as a power cut or the OOM killer would: no exception handler, no
rollback code, no atexit runs. Tests use it to interrupt an import midway; in normal
operation the variable is unset and `reach` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def reach(name: str) -> None:
    if os.environ.get("MINSHENG_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
