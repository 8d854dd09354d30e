/* edgewatch lab stand-in for the LogonPoint bootstrap script */
window.CTXS = window.CTXS || {};
