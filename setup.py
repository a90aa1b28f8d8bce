"""Build glue that pyproject.toml cannot declare: the cffi extension, the
limited-API extension of per-frame calls, what the wheel leaves out and adds,
and its stable-ABI tag.  Everything else is in pyproject.toml."""

import importlib.util
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))

# streamcodec._fast: the per-frame calls as plain C-API functions, built against
# the limited API (abi3) like _core; it links nothing, it calls _core's
# functions by address (see the comment at its top).
FAST = Extension("streamcodec._fast", sources=["streamcodec/_fast.c"], include_dirs=["csrc"],
                 define_macros=[("Py_LIMITED_API", "0x030A0000")], py_limited_api=True)


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "streamcodec_build", os.path.join(HERE, "streamcodec", "_build.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPy(build_py):
    """streamcodec/_build.py is the cffi build script: the sdist needs it, an
    installed package does not (exclude-package-data applies to data files,
    not modules, hence this filter).  When the static codec libraries are
    linked in, their license texts go into the package (codec-licenses/),
    as their licenses ask of binary distributions."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) != ("streamcodec", "_build")]

    def run(self):
        super().run()
        prefix = _load_build_script().codec_prefix()
        licenses = prefix and os.path.join(prefix, "share", "licenses")
        if licenses and os.path.isdir(licenses):
            target = os.path.join(self.build_lib, "streamcodec", "codec-licenses")
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(licenses, target)


class BuildExt(build_ext):
    """setuptools rebuilds an extension only when a source is newer than
    the built module, so a build against other codec libraries (another
    STREAMCODEC_CODEC_PREFIX, the system's) or with another compiler would
    reuse the module the last build left in build/.  The configuration is
    kept beside the objects; when it changes, everything is rebuilt."""

    def run(self):
        prefix = _load_build_script().codec_prefix()
        config = "\n".join([f"prefix={prefix}"] + [
            f"{name}={os.environ.get(name, '')}"
            for name in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS", "LDSHARED", "ARCHFLAGS")])
        stamp = os.path.join(self.build_temp, "streamcodec-build-config")
        try:
            with open(stamp) as f:
                self.force = self.force or f.read() != config
        except OSError:
            self.force = True
        super().run()
        os.makedirs(self.build_temp, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(config)


setup(
    cffi_modules=["streamcodec/_build.py:make_builder"],
    ext_modules=[FAST],
    cmdclass={"build_py": BuildPy, "build_ext": BuildExt},
    # _core and _fast use only the stable ABI (cffi builds _core with
    # Py_LIMITED_API): one wheel, tagged cp310-abi3, for CPython 3.10 and later.
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
