"""HTTP glue shared by the API functions: error replies in the caller's language, body
parsing and credentials. The domain package `connectmyhome` stays free of HTTP."""
