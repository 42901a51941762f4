"""户籍与联系卡 screens."""
