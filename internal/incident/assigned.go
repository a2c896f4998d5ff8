package incident

// AssignedTo reports whether userID works on the case: its handler, its creator, or a user who
// recorded facts or ticks of one of its stages. It is the "need to know" of the register (issue 21):
// a decrypting role alone does not open another case's list of people.
func (c *Case) AssignedTo(userID int64) bool {
	if userID == 0 || c.Involved[userID] {
		return false
	}
	if c.OwnerID == userID || c.CreatedBy == userID {
		return true
	}
	for _, editors := range c.StageEditors {
		if editors[userID] {
			return true
		}
	}
	return false
}
