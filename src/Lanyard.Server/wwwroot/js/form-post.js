// OAuth 2.0 Form Post Response Mode: hand the authorization response to the client at once.
document.forms[0].submit();
