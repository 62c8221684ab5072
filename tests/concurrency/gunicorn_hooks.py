"""gunicorn settings for the seat-race server, on top of its command line.

Without ``--preload`` every worker loads the application itself; the tests wait
for the ready line (``support.READY_LINE``) from all of them before they race,
so no request queues behind a worker that is still starting.
"""

# gunicorn 25.1+ opens a control socket in $XDG_RUNTIME_DIR or ~/.gunicorn by
# default, one path shared by every server of the user; test servers need none.
# (Older versions skip settings they do not know.)
control_socket_disable = True


def post_worker_init(worker):
    worker.log.info("seat-race worker ready (pid %s)", worker.pid)
