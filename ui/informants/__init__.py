"""群众工作信息员 (``page``) and each cadre's 五联 (``wulian``)."""
