"""WeChat Pay v2: the wechatpy client pointed at the configured API base, signatures, the call log."""
