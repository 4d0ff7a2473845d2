# For tini's test/subreaper-proxy.py (.ci/upstream-suites).
# The one call tini's subreaper-proxy.py makes, through ctypes (python-prctl
# needs libcap headers to build).
import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
def set_child_subreaper(flag):
    if _libc.prctl(36, int(flag), 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl")
