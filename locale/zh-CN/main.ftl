# fba-rs messages, zh-CN (FBA's default language).
# Keys mirror FBA's locale keys with dots replaced by dashes (response.success -> response-success).

response-success = 请求成功
response-error = 请求错误
error-captcha-error = 验证码错误
error-captcha-invalid = 验证码无效，请重新获取
error-captcha-expired = 验证码已过期，请重新获取
error-language-not-found = 当前语言包未初始化或不存在
success-login-success = 登录成功
success-login-oauth2-success = 登录成功（OAuth2）

error-internal = 服务器内部错误
error-service-unavailable = 服务暂不可用：{ $what }
error-too-many-requests = 请求过于频繁，请稍后重试
error-payload-too-large = 请求体过大（上限 { $limit } 字节）
error-invalid-request-prefix = 请求参数非法

validation-json-invalid = json解析失败
validation-missing = 字段为必填项
validation-model-attributes-type = 输入应为有效的字典或对象以提取字段
validation-string-type = 输入应为有效的字符串
validation-int-type = 输入应为有效的整数
validation-int-parsing = 输入应为有效的整数，无法将字符串解析为整数
validation-bool-type = 输入应为有效的布尔值
validation-float-type = 输入应为有效的数字
validation-list-type = 输入应为有效的列表
validation-enum = 输入应为 { $expected }
validation-greater-than-equal = 输入应大于或等于 { $ge }
validation-less-than-equal = 输入应小于或等于 { $le }
validation-greater-than = 输入应大于 { $gt }
validation-string-too-short = 字符串应至少有 { $min_length } 个字符
validation-string-too-long = 字符串最多应有 { $max_length } 个字符
validation-string-pattern-mismatch = 字符串应匹配模式 '{ $pattern }'
validation-value-error = 值错误，{ $error }
validation-extra-forbidden = 不允许额外的输入
validation-too-long = 列表最多应有 { $max_length } 项，实际为 { $actual_length } 项
error-request-timeout = 请求体接收超时

# Business errors (service and security layers).
error-token-expired = Token 已过期
error-token-revoked = Token 已失效
error-token-invalid = Token 无效
error-user-locked = 用户已被锁定，请联系系统管理员
error-user-dept-deleted = 用户所属部门已被删除，请联系系统管理员
error-user-dept-locked = 用户所属部门已被锁定，请联系系统管理员
error-user-role-locked = 用户所属角色已被锁定，请联系系统管理员
error-user-no-menu = 用户未分配菜单，请联系系统管理员
error-user-not-staff = 用户已被禁止后台管理操作，请联系系统管理员
error-bad-credentials = 用户名或密码有误
error-user-locked-login = 用户已被锁定, 请联系统管理员
error-too-many-login-failures = 登录失败次数过多，账号已被锁定
error-account-locked-minutes = 账号已被锁定，请在 { $minutes } 分钟后重试
error-password-expired = 密码已过期，请修改密码后重新登录
error-refresh-token-expired = Refresh Token 已过期，请重新登录
error-user-login-elsewhere = 此用户已在异地登录，请重新登录并及时修改密码
error-user-not-found = 用户不存在
error-username-taken = 用户名已注册
error-email-taken = 邮箱已被绑定
error-password-empty = 密码不允许为空
error-self-permission = 禁止修改自身权限
error-email-code-expired = 验证码已失效，请重新获取
error-old-password-wrong = 原密码错误
error-password-mismatch = 两次密码输入不一致
error-password-too-short = 密码长度不能少于 { $min } 个字符
error-password-too-long = 密码长度不能超过 { $max } 个字符
error-password-too-many-bytes = 密码长度不能超过 { $max } 个字节
error-password-needs-digit = 密码必须包含数字
error-password-needs-letter = 密码必须包含字母
error-password-needs-special = 密码必须包含特殊字符（如：!@#$%）
error-password-reused = 新密码不能与最近 { $count } 次使用的密码相同
error-permission-type-unknown = 权限类型不存在
error-role-not-found = 角色不存在
error-role-exists = 角色已存在
error-data-scope-not-found = 数据范围不存在
error-data-scope-exists = 数据范围已存在
error-data-rule-not-found = 数据规则不存在
error-data-rule-exists = 数据规则已存在
error-data-rule-model-not-found = 数据规则可用模型不存在
error-dept-not-found = 部门不存在
error-dept-parent-not-found = 父级部门不存在
error-dept-name-exists = 部门名称已存在
error-self-parent = 禁止关联自身为父级
error-dept-has-users = 部门下存在用户，无法删除
error-dept-has-children = 部门下存在子部门，无法删除
error-menu-not-found = 菜单不存在
error-menu-parent-not-found = 父级菜单不存在
error-menu-title-exists = 菜单标题已存在
error-menu-has-children = 菜单下存在子菜单，无法删除
error-upload-failed = 上传文件失败
error-upload-unknown-type = 未知的文件类型
error-upload-image-too-large = 图片超出最大限制，请重新选择
error-upload-video-too-large = 视频超出最大限制，请重新选择
error-upload-unsupported-format = 此文件格式 { $ext } 暂不支持

# notice plugin
error-notice-not-found = 通知公告不存在

# plugin system
error-plugin-not-found = 插件不存在
error-plugin-disabled = 插件 { $name } 未启用，请联系系统管理员
error-plugin-compiled-in = 插件已编译进服务，不能在运行时安装或卸载

# dict plugin
error-dict-type-not-found = 字典类型不存在
error-dict-type-exists = 字典类型已存在
error-dict-data-not-found = 字典数据不存在
error-dict-data-exists = 字典数据已存在
# config plugin
error-config-not-found = 参数配置不存在
error-config-key-exists = 参数配置 { $key } 已存在
error-config-keys-duplicated = 参数配置键名重复
# socket.io (fba_common::socketio)
error-socketio-no-auth = WebSocket 连接失败：无授权
error-socketio-auth-incomplete = WebSocket 连接失败：授权失败，请检查
error-socketio-session-mismatch = WebSocket 连接失败：session_uuid 与 Token 不符
error-socketio-full = WebSocket 连接数已达上限，请稍后重试

# task system
error-task-no-worker = Celery Worker 暂不可用，请稍后重试
error-task-result-not-found = 任务结果不存在
error-task-scheduler-not-found = 任务调度不存在
error-task-scheduler-exists = 任务调度已存在
error-task-invalid-crontab = Crontab 表达式非法
error-task-expires-conflict = expires 和 expire_seconds 只能设置一个
error-task-invalid-arguments = 执行失败，任务参数非法

# task scheduler datetimes (pydantic datetime errors)
validation-datetime-parsing = 输入应为有效的日期时间，{ $error }
validation-datetime-type = 输入应为有效的日期时间
