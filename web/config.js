// Base URL of the API. Empty means the same origin as these pages, as `cmh serve` runs them.
// A deployment replaces this file with its API URL, e.g. "https://api.example.org".
window.CMH_API_BASE = "";
