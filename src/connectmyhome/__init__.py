"""Domain package of Connect my Home: the rules, data, persistence and messages of a request.

It imports no Lambda handler and knows nothing of HTTP; the functions under `functions/` and
the local runtime in `cmh` call into it.
"""
