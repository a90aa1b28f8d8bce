from setuptools import setup

# Everything declarative lives in pyproject.toml; setup.py exists because the
# cffi extension is declared through setuptools' cffi_modules hook.
setup(cffi_modules=["streamcodec/_build.py:ffibuilder"])
