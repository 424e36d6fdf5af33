#!/usr/bin/env python3
"""NetSuite SuiteTalk REST simulator.

    python3 t/sim/netsuite_sim.py [--config FILE] [--listen 127.0.0.1:PORT]

Prints "listening on 127.0.0.1:PORT" once ready.  Contract and admin API:
docs/sim-netsuite.md.
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from netsuite import config, server  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", help="JSON configuration file")
    ap.add_argument("--listen", help="127.0.0.1:PORT (overrides config)")
    args = ap.parse_args()
    try:
        cfg = config.load(args.config,
                          {"listen": args.listen} if args.listen else None)
        srv = server.serve(cfg)
    except (OSError, ValueError) as e:
        print("netsuite_sim: %s" % e, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
