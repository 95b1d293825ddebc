"""Cached virtualenvs for the fixture combos: build/fixture-venvs/<combo>/.

A venv holds the pins of requirements/<combo>.txt plus the stub-model plugin
(stub_models/, packed into a wheel here: no build backend, nothing written into
the source tree). It is rebuilt when the requirements, the Python or the stub
plugin change. `uv` is used when it is on PATH or beside this Python (make
venv installs it); else `venv --without-pip` and this Python's pip,
installing offline from a wheel folder (build/fixture-venvs/wheels/) filled
once for all combos.
"""

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import tarfile
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STUB_DIR = HERE / "stub_models"
REQUIREMENTS_DIR = HERE / "requirements"
# `git archive`s of llm-consortium builds (DATE-COMMIT.tar.gz), for combos that
# install a git build rather than a release; unpacked under build/builds/.
BUILDS_DIR = Path(os.environ.get("LLM_CONSORTIUM_BUILDS",
                                 REPO.parent / "shared" / "llm-consortium-builds"))
UNPACKED_DIR = REPO / "build" / "builds"
# What a build needs to import at all: (old line, new line, only when this
# file is missing beside the module, or None):
PATCHES = (
    # Builds of 2025-10-04..12-26 import a function only the author's patched
    # llm had; he later committed this stub himself (89ab50d).
    ("from llm.cli import load_conversation, resolve_alias_options",
     "from llm.cli import load_conversation\n\n\n"
     "def resolve_alias_options(model_name):\n    return None\n", None),
    # 2fa9235 still imports (and never uses) a module git no longer has.
    ("from .conversation_manager import ConversationManager, ConsortiumResponse",
     "# (conversation_manager.py is not in this commit; nothing used it)",
     "conversation_manager.py"),
)


def requirements_file(combo):
    return REQUIREMENTS_DIR / f"{combo}.txt"


def requirement_lines(combo):
    return [line for line in requirements_file(combo).read_text().splitlines()
            if line and not line.startswith("#")]

def _file_digest(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _read_stub_project():
    text = (STUB_DIR / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = None
    if tomllib:
        data = tomllib.loads(text)["project"]
        return (data["name"], data["version"], data.get("dependencies", []),
                data.get("entry-points", {}))
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M).group(1)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)
    eps = dict(re.findall(r'^(\w+)\s*=\s*"([\w.:]+)"\s*$',
                          text.split("[project.entry-points.llm]", 1)[1], re.M))
    return name, version, ["llm"], {"llm": eps}


def build_stub_wheel(dest):
    """Build the stub plugin's wheel with zipfile alone (no build backend,
    nothing written into the source tree)."""
    name, version, deps, entry_points = _read_stub_project()
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    files = {
        "llm_stub_models.py": (STUB_DIR / "llm_stub_models.py").read_bytes(),
        f"{info}/METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {d}\n" for d in deps)
        ).encode(),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: consortium-backfill\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode(),
        f"{info}/entry_points.txt": "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
            for group, eps in entry_points.items()
        ).encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, date_time=(2025, 1, 1, 0, 0, 0)), data)
    return wheel


def _run(cmd, **kw):
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise RuntimeError(
            f"command failed ({res.returncode}): {' '.join(map(str, cmd))}\n"
            f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return res


def _pick_installer(choice):
    if choice in ("auto", "uv"):
        # On PATH, or beside this Python (make venv installs it in .venv).
        uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
        if uv:
            return ("uv", uv)
        if choice == "uv":
            raise SystemExit("--installer uv: no uv on PATH")
    return ("pip", None)


def _outer_pip_ok():
    """Can this interpreter's pip install into another environment
    (pip >= 22.3 has --python)?"""
    try:
        from importlib.metadata import version
        major, minor = (int(x) for x in version("pip").split(".")[:2])
        return (major, minor) >= (22, 3)
    except Exception:
        return False


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@contextlib.contextmanager
def locked(folder, name):
    """One process at a time in the block (make test runs the tests in several)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fill_wheelhouse(req, wheelhouse, pip):
    """pip mode: download the pinned wheels once into a folder shared by all
    combos (they share most pins), so that every venv installs offline."""
    with locked(wheelhouse.parent, "wheels"):
        _fill_wheelhouse(req, wheelhouse, pip)


def _fill_wheelhouse(req, wheelhouse, pip):
    wheelhouse.mkdir(parents=True, exist_ok=True)
    have = {(_norm(f.name.split("-")[0]), f.name.split("-")[1]) for f in wheelhouse.glob("*.whl")}
    missing = []
    for line in req.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            if (_norm(name), version) not in have:
                missing.append(line)
    if missing:
        _run([*pip, "download", "-q", "--disable-pip-version-check", "--no-deps",
              "--only-binary", ":all:", "-d", str(wheelhouse), *missing])


def unpack_build(build):
    """build/builds/BUILD/llm-consortium-COMMIT from BUILDS_DIR/BUILD.tar.gz,
    with the PATCHES applied where the build has their old line."""
    archive = BUILDS_DIR / f"{build}.tar.gz"
    if not archive.exists():
        raise SystemExit(f"{archive}: no such build archive (set LLM_CONSORTIUM_BUILDS)")
    target = UNPACKED_DIR / build
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    (source,) = [p for p in target.iterdir() if p.is_dir()]
    for module in (source / "llm_consortium").rglob("*.py"):
        text = module.read_text()
        for old, new, missing in PATCHES:
            if old in text and not (missing and (module.parent / missing).exists()):
                text = text.replace(old, new)
        module.write_text(text)
    return source


def ensure_venv(combo, venvs_dir, installer, build=None):
    """Create or reuse build/fixture-venvs/<combo>; returns (bin dir, cached?).
    `build`: the name of an llm-consortium build archive to install from source
    (its dependencies must be pinned in the requirements file)."""
    with locked(venvs_dir, combo):
        return _ensure_venv(combo, venvs_dir, installer, build)


def _ensure_venv(combo, venvs_dir, installer, build):
    venv = venvs_dir / combo
    bindir = venv / "bin"
    py = bindir / "python"
    req = requirements_file(combo)
    archive = (BUILDS_DIR / f"{build}.tar.gz").read_bytes() if build else b""
    deps_stamp = hashlib.sha256(
        req.read_bytes() + sys.version.encode() + sys.base_prefix.encode()
        + (archive + repr(PATCHES).encode() if build else b"")
    ).hexdigest()
    stub_stamp = _file_digest([STUB_DIR / "pyproject.toml", STUB_DIR / "llm_stub_models.py"])
    stamp_file = venv / "fixture-venv.json"
    wheelhouse = venvs_dir / "wheels"
    stamp = {}
    if stamp_file.exists():
        try:
            stamp = json.loads(stamp_file.read_text())
        except ValueError:
            stamp = {}
    kind, uv = _pick_installer(installer)
    outer_pip = kind == "pip" and _outer_pip_ok()

    def install(args):
        if kind == "uv":
            _run([uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(py), *args])
        else:
            if outer_pip:  # this interpreter's pip installs into the venv: no ensurepip
                pip = [sys.executable, "-m", "pip", "--python", str(py)]
            else:
                if not (bindir / "pip").exists():
                    _run([str(py), "-m", "ensurepip", "-q"])
                pip = [str(py), "-m", "pip"]
            if "-r" in args:
                fill_wheelhouse(req, wheelhouse, pip)
                args = ["--no-index", "--find-links", str(wheelhouse), *args]
            _run([*pip, "install", "-q", "--disable-pip-version-check", *args])

    cached = stamp.get("deps") == deps_stamp and (bindir / "llm").exists()
    if not cached:
        if venv.exists():
            shutil.rmtree(venv)
        venv.parent.mkdir(parents=True, exist_ok=True)
        stamp = {}
        if kind == "uv":
            _run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        elif outer_pip:
            _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        else:
            _run([sys.executable, "-m", "venv", str(venv)])
        install(["--no-deps", "-r", str(req)])
        if build:  # needs PyPI for the build backend (setuptools)
            install(["--no-deps", str(unpack_build(build))])
        stamp["deps"] = deps_stamp
        stamp_file.write_text(json.dumps(stamp))
    if stamp.get("stub") != stub_stamp:
        wheel = build_stub_wheel(venv / "stub-wheel")
        reinstall = "--reinstall" if kind == "uv" else "--force-reinstall"
        install(["--no-deps", reinstall, str(wheel)])
        stamp["stub"] = stub_stamp
        stamp_file.write_text(json.dumps(stamp))
    return bindir, cached

