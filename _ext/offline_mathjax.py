"""Sphinx extension: serve MathJax from the build itself, so the HTML book renders math offline.

MathJax 2.7 ships inside the ``jupyter-server-mathjax`` package; this copies it into the build's
``_static/mathjax`` folder and points Sphinx's ``mathjax_path`` there instead of a CDN. MyST's
MathJax 3 settings are turned off in ``_config.yml`` (``myst_update_mathjax: false``).
"""

import shutil
from pathlib import Path

import jupyter_server_mathjax

SOURCE = Path(jupyter_server_mathjax.__file__).parent / "static"
CONFIG = "TeX-AMS-MML_HTMLorMML-full"


def _use_local_mathjax(app, config):
    config.mathjax_path = f"mathjax/MathJax.js?config={CONFIG}"
    # Sphinx writes mathjax3_config for MathJax 3; MathJax 2 reads its own configuration.
    config.mathjax3_config = None
    config.mathjax2_config = {
        "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True},
        "showMathMenu": False,
        "messageStyle": "none",
        # The package ships the STIX-Web fonts only.
        "HTML-CSS": {
            "availableFonts": ["STIX-Web"],
            "preferredFont": "STIX-Web",
            "webFont": "STIX-Web",
            "imageFont": None,
        },
    }


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        if not (target / "MathJax.js").is_file():
            shutil.copytree(SOURCE, target, dirs_exist_ok=True)


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
