"""The `cmh` command and the local runtime: the SAM template run on moto, without Docker."""
