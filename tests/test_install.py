"""vnsearch installed every supported way serves its site from its own templates and seeds.

Each install builds a copy of the working tree (setuptools writes ``build/`` and
``*.egg-info`` beside the sources, never in the checkout) without network: ``--no-deps``,
``--no-build-isolation`` with this environment's setuptools (pipx alone builds in
isolation: it keeps PYTHONPATH from its pip). The dependencies come from this environment's
site-packages, put on the installed copy's path through a folder of links that leaves
vnsearch itself out. Then, from an empty folder, ``vnsearch index`` indexes the packaged
seeds and ``vnsearch serve`` answers ``/`` and ``/search`` from the packaged templates, with
a decoy ``templates/`` and ``seeds/`` beside the installed packages (another distribution's
files, which an installed vnsearch must never pick up).
"""

from __future__ import annotations

import configparser
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import search
from search.paths import PACKAGED, is_checkout, project_dir

ROOT = Path(__file__).resolve().parent.parent
PYVER = f"python{sys.version_info.major}.{sys.version_info.minor}"
SEEDS = sorted(p.name for p in (ROOT / "seeds").iterdir() if p.is_file())
DECOY = "DECOY-TEMPLATE-OF-ANOTHER-PACKAGE"


def tree_files(root: Path = ROOT) -> list[str]:
    """The working tree's files git tracks or would track (not the ignored ones)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return [p for p in out.decode("utf-8").split("\0") if p and (root / p).is_file()]


def copy_source(dest: Path) -> Path:
    """A copy of the working tree to build from."""
    for rel in tree_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    return dest


def run(args: list, env: dict, cwd: Path, timeout: float = 600) -> str:
    """Run a command that must succeed; its stdout."""
    proc = subprocess.run(
        [str(a) for a in args],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{args}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def base_env() -> dict:
    """This process's environment without anything that points Python at this checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    return env


@pytest.fixture(scope="module")
def deps(tmp_path_factory) -> Path:
    """This environment's installed packages (links), vnsearch's own files left out."""
    own = {"search", "web", "__pycache__"}
    folder = tmp_path_factory.mktemp("deps")
    for site in dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")):
        for entry in Path(site).iterdir():
            name = entry.name
            if (
                name in own
                or name.endswith(".pth")
                or name.startswith(("__editable__", "vnsearch"))
                or (folder / name).exists()
            ):
                continue
            (folder / name).symlink_to(entry)
    return folder


def make_venv(where: Path, deps: Path, system_site: bool = False) -> Path:
    """A venv without pip whose site-packages reaches ``deps`` (pip included) by a .pth."""
    args = [sys.executable, "-m", "venv", "--without-pip", where]
    if system_site:
        args.insert(4, "--system-site-packages")
    run(args, base_env(), where.parent)
    site = where / "lib" / PYVER / "site-packages"
    (site / "vnsearch_test_deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return where / "bin" / "python"


@dataclass
class Installed:
    """Where one install put vnsearch, and how to run it."""

    script: Path  # the `vnsearch` console script
    root: Path  # the folder the install wrote into (searched for the packages)
    env: dict


NO_NETWORK = "--no-deps --no-build-isolation"


def pipx_shared_libs(shared: Path, deps: Path) -> None:
    """pipx's shared libraries (pip, on the path of every pipx venv), holding ``deps``.

    pipx keeps PYTHONPATH from its venvs and reads the metadata of the dependencies of what
    it installs; every pipx venv reaches the shared libraries, so these carry the test
    environment's packages (pip and setuptools among them) instead of pip alone.
    """
    shared.parent.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "venv", "--without-pip", shared], base_env(), shared.parent)
    site = shared / "lib" / PYVER / "site-packages"
    for entry in deps.iterdir():
        (site / entry.name).symlink_to(entry)
    pip = shared / "bin" / "pip"
    pip.write_text(
        f"#!{shared / 'bin' / 'python'}\nimport sys\nfrom pip._internal.cli.main import main\n"
        "sys.exit(main())\n",
        encoding="utf-8",
    )
    pip.chmod(0o755)


def pip_install(python: Path, src: Path, *options) -> list:
    return [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        *options,
        src,
    ]


def install(kind: str, tmp: Path, deps: Path) -> Installed:
    """Build the working tree and install it the ``kind`` way under ``tmp``."""
    src = copy_source(tmp / "src")
    env = base_env()
    if kind == "venv":  # pip install .
        python = make_venv(tmp / "venv", deps)
        run(pip_install(python, src), env, tmp)
        return Installed(tmp / "venv" / "bin" / "vnsearch", tmp / "venv", env)
    if kind == "wheel":  # pip wheel . then pip install the wheel
        python = make_venv(tmp / "venv", deps)
        wheels = tmp / "wheels"
        run(
            [
                python,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                wheels,
                src,
            ],
            env,
            tmp,
        )
        (wheel,) = wheels.glob("vnsearch-*.whl")
        run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], env, tmp)
        return Installed(tmp / "venv" / "bin" / "vnsearch", tmp / "venv", env)
    if kind == "user":  # pip install --user . (user site-packages under PYTHONUSERBASE)
        python = make_venv(tmp / "venv", deps, system_site=True)
        env = {**env, "PYTHONUSERBASE": str(tmp / "userbase")}
        del env["PYTHONNOUSERSITE"]
        run(pip_install(python, src, "--user"), env, tmp)
        return Installed(tmp / "userbase" / "bin" / "vnsearch", tmp / "userbase", env)
    if kind == "prefix":  # pip install --prefix P . (used with PYTHONPATH=P/lib/.../site-packages)
        python = make_venv(tmp / "venv", deps)
        run(pip_install(python, src, "--prefix", tmp / "prefix"), env, tmp)
        (site,) = {p.parent.parent for p in (tmp / "prefix").rglob("search/paths.py")}
        env = {**env, "PYTHONPATH": str(site)}
        (script,) = (tmp / "prefix").rglob("bin/vnsearch")
        return Installed(script, tmp / "prefix", env)
    if kind == "target":  # pip install --target T . (used with PYTHONPATH=T)
        python = make_venv(tmp / "venv", deps)
        run(pip_install(python, src, "--target", tmp / "target"), env, tmp)
        env = {**env, "PYTHONPATH": str(tmp / "target")}
        return Installed(tmp / "target" / "bin" / "vnsearch", tmp / "target", env)
    if kind == "pipx":  # pipx install .
        home = tmp / "pipx"
        env = {
            **env,
            "PIPX_HOME": str(home),
            "PIPX_BIN_DIR": str(tmp / "bin"),
            "PIPX_MAN_DIR": str(tmp / "man"),
            "PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE": "1",
        }
        pipx_shared_libs(home / "shared", deps)
        run([sys.executable, "-m", "pipx", "install", "--pip-args", NO_NETWORK, src], env, tmp)
        return Installed(tmp / "bin" / "vnsearch", home / "venvs" / "vnsearch", env)
    raise AssertionError(kind)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, target: str) -> tuple[int, str]:
    """GET ``target`` from 127.0.0.1 (no proxy): status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def serve_and_get(inst: Installed, index: Path, cwd: Path, log: Path) -> dict[str, tuple[int, str]]:
    """Start `vnsearch serve`, GET the pages once it answers, stop it."""
    port = free_port()
    args = [inst.script, "serve", "--index", index, "--host", "127.0.0.1", "--port", port]
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [str(a) for a in [*args, "--processes", "1"]],
            env=inst.env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"vnsearch serve exited:\n{log.read_text('utf-8')}"
            assert time.monotonic() < deadline, (
                f"vnsearch serve never answered:\n{log.read_text('utf-8')}"
            )
            try:
                home = get(port, "/")
                break
            except OSError:
                time.sleep(0.2)
        return {
            "/": home,
            "/search?q=can+bo": get(port, "/search?q=can+bo"),
            "/static/site.css": get(port, "/static/site.css"),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["venv", "wheel", "user", "prefix", "target", "pipx"])
def test_installed_copy_indexes_and_serves(kind, tmp_path, deps):
    inst = install(kind, tmp_path, deps)
    assert inst.script.is_file(), f"no vnsearch script at {inst.script}"
    (site,) = {p.parent.parent for p in inst.root.rglob("search/paths.py")}
    assert sorted(p.name for p in (site / "search" / "seeds").iterdir()) == SEEDS
    assert (site / "web" / "templates" / "index.html").is_file()
    assert (site / "web" / "templates" / "static" / "site.css").is_file()
    assert not list(inst.root.rglob("share/vnsearch")), "templates or seeds installed as data files"
    # Another distribution's folders beside the packages, where the old lookup went.
    (site / "templates").mkdir()
    (site / "templates" / "index.html").write_text(DECOY, encoding="utf-8")
    (site / "seeds").mkdir()
    (site / "seeds" / "decoy.txt").write_text(f"{DECOY}\n\n{DECOY} cán bộ\n", encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"  # not the checkout, no seeds/ or templates/ of its own
    elsewhere.mkdir()
    version = run([inst.script, "--version"], inst.env, elsewhere)
    assert version.strip() == f"vnsearch, phiên bản {search.__version__}"

    index = tmp_path / "index"
    report = json.loads(
        run([inst.script, "index", "--index", index, "--json"], inst.env, elsewhere)
    )
    assert report["indexed"] == len(SEEDS), report
    assert not report["skipped"], report

    pages = serve_and_get(inst, index, elsewhere, tmp_path / "serve.log")
    status, body = pages["/"]
    assert status == 200, body
    assert "<h1>Tìm kiếm tin tức chính quyền địa phương</h1>" in body
    assert f"Chỉ mục hiện có {len(SEEDS)} bài viết." in body
    status, body = pages["/search?q=can+bo"]
    assert status == 200, body
    total = re.search(r'<p class="total" role="status">(\d+) kết quả', body)
    assert total and int(total.group(1)) == len(SEEDS), body
    status, body = pages["/static/site.css"]
    assert status == 200
    assert body == (tmp_path / "src" / "templates" / "static" / "site.css").read_text("utf-8")
    assert not any(DECOY in body for _, body in pages.values())
    assert not list(elsewhere.iterdir()), "the installed copy wrote into the working folder"


def test_wheel_holds_templates_seeds_and_version(tmp_path):
    src = copy_source(tmp_path / "src")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            tmp_path / "wheels",
            src,
        ],
        base_env(),
        tmp_path,
    )
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    assert wheel.name == f"vnsearch-{search.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in PACKAGED.items():
        for f in (src / folder).rglob("*"):
            if f.is_file():
                assert f"{package}/{f.relative_to(src).as_posix()}" in names
    assert not [n for n in names if ".data/" in n or n.startswith(("templates/", "seeds/"))]
    # Every package of the tree is in the wheel (setup.cfg lists them one by one).
    inits = [f for f in tree_files() if f.startswith(("search/", "web/"))]
    for init in (f for f in inits if f.endswith("/__init__.py")):
        assert init in names, f"{init}: its package is missing from setup.cfg's packages"
    metadata = zipfile.ZipFile(wheel).read(f"vnsearch-{search.__version__}.dist-info/METADATA")
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata.decode("utf-8"), re.MULTILINE)
    assert requires and not [r for r in requires if "==" in r.split(";")[0]], (
        "exact pins belong in constraints.txt"
    )


@pytest.mark.parametrize("name", sorted(PACKAGED))
def test_project_dir_of_this_tree(name):
    found = project_dir(name)
    assert sorted(p.name for p in found.rglob("*")) == sorted(
        p.name for p in (ROOT / name).rglob("*")
    )


@pytest.mark.parametrize(
    "setup_cfg, expected",
    [
        ("[metadata]\nname = vnsearch\nversion = attr: search.__version__\n", True),
        ("[metadata]\nname = some-other-site\n", False),
        ("[options]\npackages = search\n", False),
        ("name = vnsearch\n", False),  # no section header: not a setup.cfg
        ("[metadata\nname = vnsearch\n", False),
        (None, False),
    ],
)
def test_is_checkout(tmp_path, setup_cfg, expected):
    if setup_cfg is not None:
        (tmp_path / "setup.cfg").write_text(setup_cfg, encoding="utf-8")
    assert is_checkout(tmp_path) is expected


def test_is_checkout_of_this_tree():
    assert is_checkout(ROOT)


def test_constraints_pin_every_requirement():
    """constraints.txt (the lock) pins an exact version of every requirement and extra."""
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and re.fullmatch(r"[\w.+!-]+", version), line
            pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    requirements = cfg["options"]["install_requires"].splitlines()
    for extra in cfg["options.extras_require"].values():
        requirements += extra.splitlines()
    for requirement in filter(None, (r.strip() for r in requirements)):
        project = re.match(r"[A-Za-z0-9][\w.-]*", requirement)
        assert project, requirement
        key = re.sub(r"[-_.]+", "-", project.group()).lower()
        assert key in pinned, f"{requirement}: not in constraints.txt (python3 tools/lock.py)"
    assert "vnsearch" not in pinned
