"""`python -m cmscore.cli`: the console script, as the subprocess tests run it."""

from cmscore.cli import main

main()
