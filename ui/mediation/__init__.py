"""矛盾纠纷调解 screens: case list, case file, screening rounds, statistics."""
