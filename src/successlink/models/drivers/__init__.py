"""Success drivers: which behaviours go with staying and growing, and which early milestones
separate the customers who stay from those who leave."""
