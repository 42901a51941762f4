"""两评 (docs/reviews.md): the town's monthly 驻村工作点评会 (its pack, minutes and decisions) and the residents'
half-yearly 群众评议 of the 驻村干部 (the ballots, the tallies)."""
