"""The labelfn domains by name: what the inputs are, how they split, and which model family learns them."""

from interpctf.kinds.labelfn.domains_base import Domain, Split
from interpctf.kinds.labelfn.domains_digits import DigitsDomain
from interpctf.kinds.labelfn.domains_mnist import MnistDomain
from interpctf.kinds.labelfn.domains_pairs import PairsDomain

DOMAINS: dict[str, Domain] = {d.name: d for d in (PairsDomain(), DigitsDomain(), MnistDomain())}

__all__ = ["DOMAINS", "Domain", "Split"]
