def seed(*, rng, stdout, options):
    pass
