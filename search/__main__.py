"""`python -m search` runs the vnsearch command line."""

from .cli import cli

if __name__ == "__main__":
    cli(prog_name="vnsearch")
