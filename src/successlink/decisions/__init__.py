"""Decisions: pure judgements over scored snapshots, each with a sentence of why.

`advocates` picks the customers to invite into the affiliate program and the people to ask;
`cohorts` says where the best customers came from and what they share.
"""
