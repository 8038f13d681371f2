"""`python -m cnstat_etl` runs the `cnstat` command, for an environment whose scripts are not on PATH."""

from cnstat_etl.console import main

main()
