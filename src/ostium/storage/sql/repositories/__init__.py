"""The SQL repositories, one module per aggregate. `SqlRepositories` in storage.py binds
them all to one transaction; none of them imports it."""
