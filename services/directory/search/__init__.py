"""Nearest-first search for services offering a need, around a place.

The derived search rows are clustered by code and latitude, so the rows of a bounding box are
one range scan. The rows of a disc around the place are loaded, the disc grown until it holds
the page and one more service (or reaches the radius), and ordered by the exact great-circle
distance; the whole radius is never counted. Each service is listed once, at its nearest
location.

Each search row carries its service's features and codes (comma-wrapped strings), so a search
reads nothing but the rows it scans: a feature is a substring test, and a service offering
several of the need's codes is seen on the row of the first of them only. (Its number of
located places served an exact count of the radius, which the search no longer makes.)

By job: query (the search), geo (distances and the disc's bounds), sql (dialect functions and
tagged unions), page_details (the page's addresses, codes, features and phones), results and
formatting (what a search answers), index (upkeep of the search rows).
"""

from services.directory.search.geo import distance_miles
from services.directory.search.index import refresh_search_rows
from services.directory.search.query import search_services
from services.directory.search.results import SearchResult, ServiceHit

__all__ = ["SearchResult", "ServiceHit", "distance_miles", "refresh_search_rows", "search_services"]
