"""The ``shieldsim exchange`` commands at the edges: start-up cost and one-line errors."""

from __future__ import annotations

import subprocess
import sys

from shieldsim.cli import main

HEAVY = ("fastapi", "uvicorn", "sqlalchemy", "starlette")


def test_help_imports_no_web_or_database_library():
    code = ("import sys\nfrom shieldsim.cli import main\n"
            "for argv in (['--help'], ['exchange', '--help'], ['fly', '--help']):\n"
            "    main(argv)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_bad_flags_exit_2_with_one_line(capsys):
    for args, words in ((["exchange", "serve", "--port", "0"], "--port: must be 1 to 65535"),
                        (["exchange", "replay", "third_site_2007", "--url", "http://127.0.0.1:9", "--token", "t",
                          "--speed", "-1"], "--speed: must be a positive number"),
                        (["exchange", "watch", "--url", "ftp://x", "--token", "t"], "--url: expected http://HOST:PORT"),
                        (["exchange", "serve", "--db", "mysql://x/y"], "--db: use sqlite:///FILE or postgresql://")):
        rc = main(args)
        err = capsys.readouterr().err
        assert rc == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and words in err, err


def test_serve_on_a_port_in_use_exits_2_naming_the_port(capsys, tmp_path):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        rc = main(["exchange", "serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(port)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: --port") and str(port) in err, err
