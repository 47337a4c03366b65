"""The `cmh` command: run the platform locally, on moto, without Docker or AWS."""

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

DEFAULT_PORT = 3000


def find_project_root(start: Path) -> Path:
    """Return the nearest folder at or above `start` that contains template.yaml."""
    for folder in (start, *start.parents):
        if (folder / "template.yaml").is_file():
            return folder
    raise FileNotFoundError(f"no template.yaml in {start} or any parent folder")


def serve(arguments: argparse.Namespace) -> int:
    from .outbox import Outbox
    from .platform import Platform
    from .server import serve as make_server

    root = find_project_root(Path(arguments.root).resolve())
    loopback = ("127.0.0.1", "0.0.0.0", "::1")
    public_host = "localhost" if arguments.host in loopback else arguments.host
    base_url = f"http://{public_host}:{arguments.port}"

    platform = Platform(root=root, parameters={"PublicBaseUrl": base_url}).start()
    outbox = Outbox(Path(arguments.outbox).resolve())
    outbox.clear_folder()
    outbox.start()
    try:
        server = make_server(platform, outbox, arguments.host, arguments.port, base_url)
    except OSError as error:
        print(f"cmh serve: cannot listen on {arguments.host}:{arguments.port}: {error.strerror}. "
              "Stop the other program or pick another port with --port.", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"Connect my Home runs on {base_url} (template {root / 'template.yaml'})", flush=True)
    print(f"  health: {base_url}/_local/health   outbox: {base_url}/_local/outbox "
          f"({outbox.folder})", flush=True)
    print("  routes: " + ", ".join(route.route_key for route in platform.routes), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        server.server_close()
        outbox.stop()
        platform.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser(
        "serve", help="run the whole platform locally: API, state machine, emails to .eml files")
    serve_parser.add_argument("--host", default="127.0.0.1",
                              help="address to listen on (default: 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                              help=f"TCP port to listen on (default: {DEFAULT_PORT})")
    serve_parser.add_argument("--outbox", default=".cmh/outbox",
                              help="folder for the sent emails as .eml files, emptied at start "
                                   "(default: .cmh/outbox)")
    serve_parser.add_argument("--root", default=".",
                              help="project folder holding template.yaml (default: search "
                                   "upwards from the current folder)")
    serve_parser.add_argument("--log-level", default="WARNING",
                              choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                              help="level of the local runtime's own logs (default: WARNING)")
    serve_parser.set_defaults(run=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, getattr(arguments, "log_level", "WARNING")),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
