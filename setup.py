from setuptools import Extension, setup

# streamcodec._fast: the per-frame calls as plain C-API functions, built against
# the limited API (abi3) like _core; it links nothing, it calls _core's
# functions by address (see the comment at its top).
FAST = Extension("streamcodec._fast", sources=["streamcodec/_fast.c"], include_dirs=["csrc"],
                 define_macros=[("Py_LIMITED_API", "0x030A0000")], py_limited_api=True)

# Everything declarative lives in pyproject.toml; setup.py exists because the
# cffi extension is declared through setuptools' cffi_modules hook.
setup(cffi_modules=["streamcodec/_build.py:ffibuilder"], ext_modules=[FAST])
