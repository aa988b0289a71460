"""Full-text search over live vault documents: SQLite FTS5 or PostgreSQL tsvector, same results shape.

User input is never handed to a query language as is: it is reduced to its words, and each word is
searched as a plain term (all terms must match), so quotes, `AND`/`OR`/`NEAR(`, `*` or `-` in a
search box can neither raise a syntax error nor change the meaning of the query.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store.base import StoreBase
from connectors_pipeline.store.records import SearchHit

MAX_TERMS = 32
MARK = "**"  # snippet highlight, Markdown bold

_WORD = re.compile(r"\w+", re.UNICODE)

_SQLITE_SEARCH = """
SELECT d.id, d.title, d.path, d.provider, a.partition_key,
       snippet(vault_documents_fts, -1, '**', '**', '…', 16) AS snippet,
       -bm25(vault_documents_fts, 10.0, 5.0, 1.0) AS score
FROM vault_documents_fts
JOIN vault_documents AS d ON d.id = vault_documents_fts.rowid
JOIN connector_accounts AS a ON a.id = d.account_id
WHERE vault_documents_fts MATCH :match
  AND d.deleted_at IS NULL
  AND (:partition_key IS NULL OR a.partition_key = :partition_key)
  AND (:tenant_id IS NULL OR a.tenant_id = :tenant_id)
  AND (:user_id IS NULL OR a.user_id = :user_id)
ORDER BY bm25(vault_documents_fts, 10.0, 5.0, 1.0)
LIMIT :limit
"""

# ts_headline re-parses the text, so it only looks at the head of very long documents.
_POSTGRES_SEARCH = """
SELECT d.id, d.title, d.path, d.provider, a.partition_key,
       ts_headline('simple', left(d.text, 200000), q.query,
                   'StartSel="**", StopSel="**", MaxWords=30, MinWords=10, MaxFragments=2, '
                   'FragmentDelimiter=" … "') AS snippet,
       ts_rank_cd(d.search_vector, q.query) AS score
FROM vault_documents AS d
JOIN connector_accounts AS a ON a.id = d.account_id
CROSS JOIN (SELECT plainto_tsquery('simple', :terms) AS query) AS q
WHERE d.search_vector @@ q.query
  AND d.deleted_at IS NULL
  AND (CAST(:partition_key AS TEXT) IS NULL OR a.partition_key = :partition_key)
  AND (CAST(:tenant_id AS TEXT) IS NULL OR a.tenant_id = :tenant_id)
  AND (CAST(:user_id AS TEXT) IS NULL OR a.user_id = :user_id)
ORDER BY score DESC, d.id
LIMIT :limit
"""


def search_terms(query: str) -> list[str]:
    """The words of a user's query, at most MAX_TERMS of them."""
    return _WORD.findall(query)[:MAX_TERMS]


def fts5_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression that treats every term as a plain string (implicit AND)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


class SearchMixin(StoreBase):
    def search(
        self, query: str, *, limit: int = 20, partition_key: str | None = None, scope: AccountScope | None = None
    ) -> list[SearchHit]:
        """Live documents matching every word of `query`, best first; only the scope's accounts' when
        given (the conditions are visibility.owned_by's, written out for the dialect's SQL text)."""
        terms = search_terms(query)
        if not terms or limit <= 0:
            return []
        params: dict[str, object] = {
            "limit": int(limit),
            "partition_key": partition_key,
            "tenant_id": scope.tenant_id if scope else None,
            "user_id": scope.user_id if scope else None,
        }
        if self.dialect == "sqlite":
            sql, params["match"] = _SQLITE_SEARCH, fts5_match(terms)
        elif self.dialect == "postgresql":
            sql, params["terms"] = _POSTGRES_SEARCH, " ".join(terms)
        else:
            raise NotImplementedError(f"full-text search is not implemented for {self.dialect}")
        with self._read() as conn:
            rows = conn.execute(sa.text(sql), params).all()
        return [
            SearchHit(
                document_id=row.id,
                title=row.title,
                path=row.path,
                snippet=row.snippet or "",
                score=float(row.score or 0.0),
                provider=row.provider,
                partition_key=row.partition_key,
            )
            for row in rows
        ]
