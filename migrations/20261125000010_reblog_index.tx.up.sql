-- Boost counts and "reblogged by" look statuses up by what they boost.
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
