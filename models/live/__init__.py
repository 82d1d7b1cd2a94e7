"""The live miniature runtime: real OS processes as instances, real imports, a real bytecode
cache and real concurrent I/O, emitting the same events as the simulator (``models.events``).

Modules (each has one job):

* ``bundles``     generate realistic Python bundles (one package per chunk), deterministically
* ``pycache``     the bytecode cache: checked-hash ``.pyc`` files in a prefix dir, merged or
                  per instance, verified before use, published atomically
* ``protocol``    length-prefixed JSON frames between the router and its instances
* ``worker``      an instance process: cold-start phases, handlers, per-request CPU accounting
* ``zygote``      a pre-forked process that forks new instances in a few milliseconds
* ``upstream``    a loopback HTTP service that answers like a database and a token stream
* ``upstream_client`` the instances' side of it (h11, kept-alive connections, pooled)
* ``procs``       starting instance processes (zygote fork or spawn), supervising the zygote
                  (restarts with backoff), and never leaking them
* ``placement``   where a request goes (same rules as the simulator)
* ``runtime``     ``LiveRuntime``: one platform model, its instances, its events
* ``replay``      ``run_live``: a scenario's requests through a runtime, billed by ``measure``
* ``coldstart``   measured cold starts by bundle size and cache mode
* ``httpserver``  HTTP/1.1 on h11: strict framing, timeouts, a connection cap, graceful drain
* ``server``      the HTTP front door on 127.0.0.1, and ``/_lab/status`` (health included)
* ``client``      the workload replayer used by ``lab load`` (httpx), and its own checks
* ``rundir``      temporary runtime directories: removed on exit, stale ones swept at start
* ``session``     the runtime on a background thread, events on queues, for front ends
* ``calibration`` measuring this machine and turning the profile into scenario overrides

The processes that run instances use the standard library and h11 only, so they start fast;
the router's HTTP is h11 (front door and upstream) and httpx (``lab load``'s client).
"""
