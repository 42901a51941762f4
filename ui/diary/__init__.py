"""民情日记 screens: the diary list, the entry form, the signature pad, the 民情台账 and the household timeline."""
