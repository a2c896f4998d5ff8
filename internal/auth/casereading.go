package auth

// ReadsCases reports whether r opens case contents: every role but the administrator, whose work
// is accounts only (domain.md §5). A grant of such a role is announced to the privacy officers.
func ReadsCases(r Role) bool { return r.Valid() && r != RoleAdmin }
