"""The command line: ``paperkb <command>`` (``main``), one module per command, and the sync pipeline's
pull-request text (``python -m paperkb.cli.pipeline``). The top layer: it imports every other, none imports it."""
