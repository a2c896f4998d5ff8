package store

import (
	"context"
	"fmt"
)

// HistoryRights says why the connected role could rewrite the history without the grants stopping
// it: a superuser, the owner of case_events (who can disable its triggers) or a role granted UPDATE
// on it. Empty when it can only read and append, as serve's role should (migrations/00030).
func (s *Store) HistoryRights(ctx context.Context) (string, error) {
	var user string
	var super, owner, update bool
	err := s.Pool.QueryRow(ctx, `SELECT current_user, r.rolsuper,
		pg_has_role(current_user, c.relowner, 'USAGE'), has_table_privilege('case_events', 'UPDATE')
		FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'case_events'::regclass`).
		Scan(&user, &super, &owner, &update)
	if err != nil {
		return "", fmt.Errorf("store: history rights: %w", err)
	}
	switch {
	case super:
		return fmt.Sprintf("role %s is a superuser", user), nil
	case owner:
		return fmt.Sprintf("role %s owns the tables (it can disable their triggers)", user), nil
	case update:
		return fmt.Sprintf("role %s may UPDATE case_events", user), nil
	}
	return "", nil
}
