// Unit tests never reach AWS: make sure no real credentials or region leak in from the machine.
process.env.AWS_REGION = process.env.AWS_REGION || 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_DEV = process.env.POWERTOOLS_DEV || 'false';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL || 'SILENT';
process.env.TRAPHEUS_LOG_LEVEL = process.env.TRAPHEUS_LOG_LEVEL || 'SILENT';
