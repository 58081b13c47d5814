"""The matching loader builds its frames column by column from the driver's rows (``loader._frame``): every
frame it reads holds the same values with the same dtypes as one built from SQLAlchemy's rows (the engine's
row hashes, and so the partitions' fingerprints, depend on both), on SQLite and PostgreSQL."""
from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal

from aggregator.matching_service import loader
from aggregator.store.db import session_scope
from aggregator.store.models.matching import ManualLinkRow
from tests.matching.db_story import load_story
from tests.matching.story import OWNER

READERS = ("load_order_lines", "load_shipment_lines", "load_receipt_lines", "load_lots", "load_transit_lots",
           "load_document_lines", "load_customs_lines", "load_endorsements", "load_manual_links", "_returned_units")


def test_frames_equal_those_built_from_sqlalchemy_rows(engine, tmp_path, monkeypatch) -> None:
    load_story(engine, tmp_path)
    with session_scope(engine) as session:
        session.add(ManualLinkRow(owner_id=OWNER, step="order_shipment", left_key="A|B|C|1", right_key="W|X|Y|1",
                                  qty=2, note="ticket 5"))
    read = []
    column_wise = loader._frame

    def recorded(session, query):
        frame = column_wise(session, query)
        read.append((query, frame.copy()))  # as read, before the caller adds columns
        return frame

    monkeypatch.setattr(loader, "_frame", recorded)
    with session_scope(engine) as session:
        for owner in (OWNER, None):
            for name in READERS:
                getattr(loader, name)(session, owner)
        nonempty = 0
        for query, frame in read:
            result = session.execute(query)
            expected = pd.DataFrame(result.all(), columns=list(result.keys()))
            assert_frame_equal(frame, expected, check_exact=True)
            nonempty += not frame.empty
    # the story fills every frame but the returned units (it has no returns): each column kind was compared
    assert nonempty >= 2 * (len(READERS) - 1)
    assert any(str(dtype).startswith("datetime64") for _, frame in read for dtype in frame.dtypes)
