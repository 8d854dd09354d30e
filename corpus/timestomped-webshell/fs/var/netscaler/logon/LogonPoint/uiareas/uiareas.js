/* edgewatch lab stand-in: UI area definitions of the logon page */
CTXS.uiAreas = [];
