"""The baseline of the load benchmarks: Flask's hello world, nothing else.

    gunicorn -c bench/gunicorn_bench.py bench.hello:app

Served with exactly the gunicorn settings of the application, so the ratio of the
two throughputs is what the application itself costs.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
