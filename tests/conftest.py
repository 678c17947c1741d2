"""Suite-wide test settings.

Hypothesis runs derandomized (the same examples every run), so CI is reproducible: a
property test cannot pass on one machine and fail on the next by chance.
"""

from hypothesis import settings

settings.register_profile("shieldsim", derandomize=True, print_blob=True)
settings.load_profile("shieldsim")
